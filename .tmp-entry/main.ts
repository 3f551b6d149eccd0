import { Command } from 'commander';
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import { parse } from 'yaml';
import { exampleConfigText } from '../src/config/example.ts';
import pkg from '../package.json' with { type: 'json' };

const program = new Command('llm-mux').version(pkg.version);
program.command('example').action(() => { const y = parse(exampleConfigText()); console.log('port', y.port, 'len', exampleConfigText().length); });
program.command('serve').action(() => {
  const app = new Hono();
  app.get('/', (c) => c.text('ok ' + process.env.NODE_ENV));
  const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => console.log(`listening http://127.0.0.1:${info.port}`));
  process.on('SIGTERM', () => s.close(() => process.exit(0)));
});
await program.parseAsync();
