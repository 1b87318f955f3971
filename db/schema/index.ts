export * from './access.ts';
export * from './enums.ts';
export * from './tenancy.ts';
export * from './master-flows.ts';
export * from './discovery.ts';
export * from './assets.ts';
export * from './planning.ts';
export * from './operations.ts';
