export * from './errors';
export { TraceJsonScanner, type TraceJsonSink } from './json-stream';
export { ChromeTraceImporter, sliceKindOf } from './chrome';
export { importTraceFile, importTracePath, importTraceStream, findTraceFiles, type ImportOptions, type ImportProgress } from './import';
