import { describe, expect, it } from 'vitest';
import { isConnect, parseAppMessage } from './bridge';

describe('parseAppMessage', () => {
  it('reads the model, context and notice requests of an app', () => {
    expect(
      parseAppMessage({
        hyperdesk: 1,
        type: 'ask',
        id: 3,
        prompt: 'hi',
        schema: { type: 'object' },
      }),
    ).toEqual({ hyperdesk: 1, type: 'ask', id: 3, prompt: 'hi', schema: { type: 'object' } });
    expect(parseAppMessage({ hyperdesk: 1, type: 'ask-cancel', id: 3 })).toEqual({
      hyperdesk: 1,
      type: 'ask-cancel',
      id: 3,
    });
    expect(
      parseAppMessage({ hyperdesk: 1, type: 'context-set', id: 4, key: 'csv', value: [1, 2] }),
    ).toMatchObject({ type: 'context-set', key: 'csv', value: [1, 2] });
    expect(parseAppMessage({ hyperdesk: 1, type: 'context-subscribe', key: 'csv' })).toMatchObject({
      type: 'context-subscribe',
      key: 'csv',
    });
    expect(
      parseAppMessage({ hyperdesk: 1, type: 'notify', level: 'loud', text: 'x' }),
    ).toMatchObject({ type: 'notify', level: 'info', text: 'x' });
    expect(
      parseAppMessage({ hyperdesk: 1, type: 'shortcut', name: 'switch-windows', back: true }),
    ).toEqual({
      hyperdesk: 1,
      type: 'shortcut',
      name: 'switch-windows',
      back: true,
    });
  });

  it('reads a storage write, and drops a malformed one', () => {
    expect(
      parseAppMessage({
        hyperdesk: 1,
        type: 'storage-write',
        id: 2,
        area: 'local',
        clear: false,
        changes: [
          ['a', '1'],
          ['b', null],
        ],
      }),
    ).toEqual({
      hyperdesk: 1,
      type: 'storage-write',
      id: 2,
      area: 'local',
      clear: false,
      changes: [
        ['a', '1'],
        ['b', null],
      ],
    });
    const write = { hyperdesk: 1, type: 'storage-write', area: 'local', clear: true };
    expect(parseAppMessage({ ...write, changes: [] })).toMatchObject({ clear: true, changes: [] });
    expect(parseAppMessage({ ...write, changes: [['a', 1]] })).toBeNull();
    expect(parseAppMessage({ ...write, changes: [['a']] })).toBeNull();
    expect(parseAppMessage({ ...write, area: 'cookies', changes: [] })).toBeNull();
    expect(parseAppMessage({ ...write, changes: { a: '1' } })).toBeNull();
  });

  it('drops malformed requests', () => {
    expect(parseAppMessage({ hyperdesk: 1, type: 'ask', id: 'x', prompt: 'hi' })).toBeNull();
    expect(
      parseAppMessage({ hyperdesk: 1, type: 'ask', id: 1, prompt: 'hi', schema: [] }),
    ).toBeNull();
    expect(parseAppMessage({ hyperdesk: 1, type: 'ask', id: 1.5, prompt: 'hi' })).toBeNull();
    expect(parseAppMessage({ hyperdesk: 1, type: 'context-set', id: 1, key: 'k' })).toBeNull();
    expect(parseAppMessage({ hyperdesk: 1, type: 'context-get', id: 1 })).toBeNull();
    expect(parseAppMessage({ hyperdesk: 1, type: 'notify', level: 'info' })).toBeNull();
    expect(parseAppMessage({ hyperdesk: 1, type: 'shortcut', name: 'close-all' })).toBeNull();
    expect(parseAppMessage({ hyperdesk: 2, type: 'ready' })).toBeNull();
  });

  it('takes a connect only with the key of the loaded document', () => {
    const key = 'a'.repeat(32);
    expect(isConnect({ hyperdesk: 1, type: 'connect', key }, key)).toBe(true);
    expect(isConnect({ hyperdesk: 1, type: 'connect', key: 'b'.repeat(32) }, key)).toBe(false);
    expect(isConnect({ hyperdesk: 1, type: 'connect' }, key)).toBe(false);
    expect(isConnect({ hyperdesk: 1, type: 'tool', key }, key)).toBe(false);
    expect(parseAppMessage({ hyperdesk: 1, type: 'connect', key })).toBeNull();
  });
});
