export * from './client';
export * from './failures';
export * from './json-reply';
export * from './metrics';
export * from './parse';
export * from './prompt-sections';
export * from './providers';
export * from './stages';
