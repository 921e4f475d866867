/**
 * The result and artifact types of lib/analysis, for client components: both
 * modules are declarations only (no Node imports), and going through here
 * keeps the client's view of the server in lib/server/shared.
 */
export type * from '../../analysis/types';
export * from '../../analysis/artifacts/types';
