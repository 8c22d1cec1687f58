// TRANSACTION_START / TRANSACTION_END (C xenstored_transaction.c).
import { type Req, XsFail, sendAck, sendReply, unprivileged } from './core';
import { findConflict, queuedWatches } from './transactions';
import { fireWatches } from './watches';
import { XS_TRANSACTION_END, XS_TRANSACTION_START, onearg } from './wire';

export function do_transaction_start(r: Req): void {
  // we don't support nested transactions
  if (r.tx !== null) throw new XsFail('EBUSY');
  const c = r.conn;
  if (unprivileged(c) && c.txs.size > r.ctx.xs.quota.transactions) throw new XsFail('ENOSPC');
  // pick an unused identifier; 0 means "no transaction"
  let id = c.nextTx;
  while (id === 0 || c.txs.has(id)) id = (id + 1) >>> 0;
  r.ctx.emit({ k: 'xs.tx.start', c: c.id, t: id });
  sendReply(r, XS_TRANSACTION_START, `${id}\0`);
}

export function do_transaction_end(r: Req): void {
  const arg = onearg(r.data);
  if (arg !== 'T' && arg !== 'F') throw new XsFail('EINVAL');
  const x = r.tx;
  if (x === null) throw new XsFail('ENOENT');
  const c = r.conn;
  const end = (commit: boolean): void => { r.ctx.emit({ k: 'xs.tx.end', c: c.id, t: x.id, commit }); };
  if (arg === 'F') { end(false); sendAck(r, XS_TRANSACTION_END); return; }
  if (x.fail) { end(false); throw new XsFail('ENOMEM'); }
  if (findConflict(r.ctx.xs, x) !== null) { end(false); throw new XsFail('EAGAIN'); }
  if (unprivileged(c)) {
    let owned = r.ctx.xs.owned.get(c.dom) ?? 0;
    for (const [path, a] of x.acc) {
      if (!a.mod) continue;
      if (r.ctx.xs.nodes.get(path)?.perms[0].id === c.dom) owned--;
      if (a.node?.perms[0].id === c.dom) owned++;
    }
    if (owned > r.ctx.xs.quota.nodes) { end(false); throw new XsFail('ENOSPC'); }
  }
  const fire = queuedWatches(x);
  end(true);
  for (const f of fire) fireWatches(r.ctx, f.path, null, f.exact, f.perms);
  sendAck(r, XS_TRANSACTION_END);
}
