// Measures one module's initialisation in this fresh process: the time from `import()` to the
// module (and everything it imports) having run, which is what Lambda's INIT phase spends on it.
const target = process.argv[2];
const start = performance.now();
await import(target);
const initMs = performance.now() - start;
process.stdout.write(JSON.stringify({ initMs }));
