/**
 * The declaration of an analysis's options (lib/analysis/options.ts: types,
 * defaults, bounds, meanings, refused combinations, validation) for the
 * new-analysis form, which runs the same checks in the browser as the server
 * and the worker. The module is plain data and pure functions (no Node imports).
 */
export * from '../../analysis/options';
