/** Declarative options (one description per option → resolver, flag reading, --help) and the common run options. */
export * from './options.js';
export * from './runOptions.js';
