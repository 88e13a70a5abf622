// The resource bag every core function receives: the store, the config and the in-process wake-up channel.
import type { Config } from '../config.ts';
import type { Db } from '../store/db.ts';
import type { Wakeups } from './wakeups.ts';

export interface Core {
  db: Db;
  config: Config;
  wakeups: Wakeups;
}
