// Request dispatch (C xenstored_core.c process_message() and wire_funcs[]): the type's
// handler runs with the request's transaction; errors become XS_ERROR replies.
import { type Req, type XsContext, XsFail, fn, sendError, unprivileged } from './core';
import { do_control } from './control';
import {
  do_get_domain_path, do_introduce, do_is_domain_introduced, do_release, do_reset_watches, do_resume, do_set_target,
} from './domain';
import { do_get_perms, do_mkdir, do_read, do_rm, do_set_perms, do_write, send_directory, send_directory_part } from './nodes';
import { conn } from './state';
import { do_transaction_end, do_transaction_start } from './transaction_ops';
import { do_unwatch, do_watch } from './watches';
import { XS_TYPE_COUNT, XS_TYPE_NAMES, type XsMessage } from './wire';

const NOTID = 1; // XS_FLAG_NOTID: ignore the transaction id
const PRIV = 2; // XS_FLAG_PRIV: privileged connections only

type Handler = { name: string; fn: (r: Req) => void; flags: number };

const WIRE_FUNCS: (Handler | undefined)[] = [
  { name: 'do_control', fn: do_control, flags: PRIV },
  { name: 'send_directory', fn: send_directory, flags: 0 },
  { name: 'do_read', fn: do_read, flags: 0 },
  { name: 'do_get_perms', fn: do_get_perms, flags: 0 },
  { name: 'do_watch', fn: do_watch, flags: NOTID },
  { name: 'do_unwatch', fn: do_unwatch, flags: NOTID },
  { name: 'do_transaction_start', fn: do_transaction_start, flags: 0 },
  { name: 'do_transaction_end', fn: do_transaction_end, flags: 0 },
  { name: 'do_introduce', fn: do_introduce, flags: PRIV },
  { name: 'do_release', fn: do_release, flags: PRIV },
  { name: 'do_get_domain_path', fn: do_get_domain_path, flags: 0 },
  { name: 'do_write', fn: do_write, flags: 0 },
  { name: 'do_mkdir', fn: do_mkdir, flags: 0 },
  { name: 'do_rm', fn: do_rm, flags: 0 },
  { name: 'do_set_perms', fn: do_set_perms, flags: 0 },
  undefined, // WATCH_EVENT
  undefined, // ERROR
  { name: 'do_is_domain_introduced', fn: do_is_domain_introduced, flags: PRIV },
  { name: 'do_resume', fn: do_resume, flags: PRIV },
  { name: 'do_set_target', fn: do_set_target, flags: PRIV },
  undefined, // RESTRICT (removed)
  { name: 'do_reset_watches', fn: do_reset_watches, flags: 0 },
  { name: 'send_directory_part', fn: send_directory_part, flags: 0 },
];

/** process_message(): one whole request of connection `c`. */
export function process_message(ctx: XsContext, c: number, m: XsMessage): void {
  ctx.emit({ k: 'xs.msg', c, d: 0, ty: m.type, rid: m.rid, tid: m.tid, data: m.data });
  const r: Req = { ctx, conn: conn(ctx.xs, c), type: m.type, rid: m.rid, tid: m.tid, data: m.data, tx: null };
  if (!ctx.frames) { dispatch(r); return; }
  fn(ctx, 'process_message', { type: XS_TYPE_NAMES[m.type] ?? m.type, req_id: m.rid, tx_id: m.tid }, () => dispatch(r));
}

function dispatch(r: Req): void {
  const cn = r.conn;
  const h = r.type < XS_TYPE_COUNT ? WIRE_FUNCS[r.type] : undefined;
  if (h === undefined) { sendError(r, 'ENOSYS'); return; }
  if ((h.flags & PRIV) !== 0 && unprivileged(cn)) { sendError(r, 'EACCES'); return; }
  if ((h.flags & NOTID) === 0 && r.tid !== 0) {
    const tx = cn.txs.get(r.tid);
    if (tx === undefined) { sendError(r, 'ENOENT'); return; }
    r.tx = tx;
  }
  try {
    if (r.ctx.frames) fn(r.ctx, h.name, { conn: cn.id, dom: cn.dom }, () => h.fn(r));
    else h.fn(r);
  } catch (e) {
    if (!(e instanceof XsFail)) throw e;
    sendError(r, e.errno);
  }
}
