/** The analysis defaults and option bounds (lib/analysis/defaults.ts, plain data) for the analysis form. */
export * from '../../analysis/defaults';
