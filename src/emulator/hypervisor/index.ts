// The hypervisor: domains, memory, grant tables, event channels.
import { type DomainEvent, domainHandlers } from './domain';
import { type EventChannelEvent, eventChannelHandlers } from './event_channel';
import { type GrantEvent, grantHandlers } from './grant_table';
import { type MemoryEvent, memoryHandlers } from './memory';
import { type FaultEvent, faultHandlers } from './faults';

export type HvEvent = DomainEvent | MemoryEvent | GrantEvent | EventChannelEvent | FaultEvent;

export const hvHandlers = { ...domainHandlers, ...memoryHandlers, ...grantHandlers, ...eventChannelHandlers, ...faultHandlers };

export * from './state';
