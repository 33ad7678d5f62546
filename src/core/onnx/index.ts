export * from './types';
export * from './errors';
export * from './summary-types';
export { readModel, type ReadOptions } from './reader';
export { summarizeModel, summarize } from './summary';
