// xenstored: the emulated C xenstored 4.17 (state, events, request handling, transports).
import { type ConnectionEvent, connectionHandlers } from './connection';
import { type StoreEvent, storeHandlers } from './store';
import { type TransactionEvent, transactionHandlers } from './transactions';
import { type XbEvent, xbHandlers } from './xb_state';

export type XsEvent = StoreEvent | TransactionEvent | ConnectionEvent | XbEvent;

export const xsHandlers = { ...storeHandlers, ...transactionHandlers, ...connectionHandlers, ...xbHandlers };

export { createXenstoreState, type XenstoreState } from './state';
