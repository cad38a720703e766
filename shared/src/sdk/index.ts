export * from './bridge';
export * from './design-system';
export * from './document';
export * from './sdk-source';
export * from './storage-source';
