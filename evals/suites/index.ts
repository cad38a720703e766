import type { Suite } from '../types';
import { defaultSuite } from './default';
import { smokeSuite } from './smoke';

export const SUITES: Record<string, Suite> = { default: defaultSuite, smoke: smokeSuite };
