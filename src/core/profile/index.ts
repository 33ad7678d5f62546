export * from './types';
export { ProfileBuilder, sliceAt, lastStartingAtOrBefore, type FinishInput } from './builder';
export * from './analyses';
export * from './summary';
export { profileToJson, profileFromJson } from './json';
