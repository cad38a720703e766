import type { Suite } from '../types';
import { defaultSuite } from './default';

/**
 * Five requests of the default suite, one per path through the pipeline. Against the
 * simulator (evals/scenarios/smoke.json) each takes a known route: a clean first answer, an
 * app that throws until repaired, a tool that fails its test until repaired, a malformed
 * classification that the re-ask fixes, and a tool that can never work (network).
 */
const IDS = ['counter', 'scratch-pad', 'workspace-files', 'sales-csv', 'bitcoin-network'];

export const smokeSuite: Suite = {
  ...defaultSuite,
  name: 'smoke',
  description: 'Five requests, one per path: clean, app repair, tool repair, re-ask, failure.',
  requests: IDS.map((id) => {
    const request = defaultSuite.requests.find((r) => r.id === id);
    if (!request) throw new Error(`the smoke suite names ${id}, which the default suite lacks`);
    return request;
  }),
};
