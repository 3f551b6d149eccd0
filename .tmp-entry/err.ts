function boom(): never { throw new Error('boom'); }
export function run() { boom(); }
run();
