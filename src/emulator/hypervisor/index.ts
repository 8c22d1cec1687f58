// The hypervisor: domains, memory, grant tables, event channels.
import { type DomainEvent, domainHandlers } from './domain';
import { type EventChannelEvent, eventChannelHandlers } from './event_channel';
import { type GrantEvent, grantHandlers } from './grant_table';
import { type MemoryEvent, memoryHandlers } from './memory';

export type HvEvent = DomainEvent | MemoryEvent | GrantEvent | EventChannelEvent;

export const hvHandlers = { ...domainHandlers, ...memoryHandlers, ...grantHandlers, ...eventChannelHandlers };

export * from './state';
