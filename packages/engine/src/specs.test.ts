import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { commandSpecs } from './specs.js';

describe('@nodis/engine/specs at run time', () => {
  it('the generated dist/specs-data.js (what Node loads, without the handlers) holds exactly the specs of src/', async () => {
    // Built by `npm run build` (scripts/gen-specs.mjs); the test suite runs after the build.
    const file = pathToFileURL(path.join(import.meta.dirname, '../dist/specs-data.js')).href;
    const generated = (await import(file)) as { commandSpecs: unknown; commandSyntax: unknown };
    expect(generated.commandSpecs).toEqual(JSON.parse(JSON.stringify(commandSpecs)));
    expect(typeof generated.commandSyntax).toBe('function');
  });

  it('no spec holds a function or undefined (they would not survive the JSON)', () => {
    const walk = (v: unknown, where: string): void => {
      if (typeof v === 'function') throw new Error(`${where} is a function`);
      if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) {
        if (x === undefined) throw new Error(`${where}.${k} is undefined`);
        walk(x, `${where}.${k}`);
      }
    };
    commandSpecs.forEach((s) => walk(s, s.name));
  });
});
