// The fork mechanism: `ForkRun` sequences the phases (see fork-run.ts).
export { ForkRun } from './fork-run';
export { MAX_PAGE_MAP_BYTES, MAX_REJECTIONS, MAX_TOUCHED_BYTES } from './state';
export { workingSet } from './workload';
export { formatSize } from '../../model/units';
