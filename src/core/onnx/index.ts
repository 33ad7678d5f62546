export * from './types';
export * from './errors';
export * from './summary-types';
export { readModel, type ReadOptions } from './reader';
export { summarizeModel, summarize } from './summary';
export { parseModel, parseModelBuffer, parseTensorProtoBuffer, subgraphsOf, walkGraphs } from './reader';
export { resolveExternalDataPath } from './external-data';
export { typeText, dimSummary } from './summary';
