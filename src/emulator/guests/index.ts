// The guest kernel flavours the system can boot, by the name a scenario uses.
import type { GuestFactory } from '../system/system';
import { LinuxGuest } from './linux/kernel';
import { inetConfig } from './linux/netfront';
import { freebsdGuest } from './freebsd/kernel';
import { linux2008Guest } from './linux-2008/kernel';
import { netbsdGuest } from './netbsd/kernel';
import { netbsd2006Guest } from './netbsd-2006/kernel';

export const GUEST_FLAVOURS: Record<string, GuestFactory> = {
  linux: (sys, cfg) => new LinuxGuest(sys.em, cfg.name, { vcpus: cfg.vcpus, max_ring_page_order: 0, inet: inetConfig(cfg) }),
  freebsd: freebsdGuest,
  'linux-2008': linux2008Guest,
  netbsd: netbsdGuest(false),
  'netbsd-fixed': netbsdGuest(true),
  'netbsd-2006': netbsd2006Guest(false),
};
