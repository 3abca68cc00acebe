import { describe, expect, it } from 'vitest';
import { commandSpecs } from './specs.js';
import { commandSyntax } from './syntax.js';

const spec = (name: string) => commandSpecs.find((s) => s.name === name)!;

describe('commandSyntax', () => {
  it('renders syntax lines as Redis documents them', () => {
    expect(commandSyntax(spec('get'))).toBe('GET key');
    expect(commandSyntax(spec('set'))).toBe(
      'SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]',
    );
    expect(commandSyntax(spec('del'))).toBe('DEL key [key ...]');
    expect(commandSyntax(spec('mset'))).toBe('MSET key value [key value ...]');
    expect(commandSyntax(spec('ping'))).toBe('PING [message]');
  });
});
