// The guest kernel flavours the system can boot, by the name a scenario uses.
import type { GuestFactory } from '../system/system';
import { LinuxGuest } from './linux/kernel';
import { freebsdGuest } from './freebsd/kernel';
import { linux2008Guest } from './linux-2008/kernel';

export const GUEST_FLAVOURS: Record<string, GuestFactory> = {
  linux: (sys, cfg) => new LinuxGuest(sys.em, cfg.name, { vcpus: cfg.vcpus, max_ring_page_order: 0 }),
  freebsd: freebsdGuest,
  'linux-2008': linux2008Guest,
};
