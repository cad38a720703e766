export * from './bridge';
export * from './document';
export * from './sdk-source';
export * from './storage-source';
