interface Place {
  value: unknown;
  key?: string;
  parent?: Place;
}

function keysTo(place: Place): string[] {
  const keys: string[] = [];
  for (let at: Place | undefined = place; at?.parent; at = at.parent) keys.push(at.key as string);
  return keys.reverse();
}

/**
 * Where a parsed JSON value holds `__proto__`, or `constructor.prototype`, at any depth: keys
 * that reach an object's prototype when the value is merged into one (`Object.assign`,
 * `a[k] = v`), each as its list of keys. Every JSON body (plugins/bodies.ts) and every import
 * row is refused by it. Walked with a queue, not recursion: a value may nest as deep as
 * JSON.parse allows.
 *
 * @example
 * prototypeKeys(JSON.parse('{"attributes":{"__proto__":{}}}')) // [['attributes', '__proto__']]
 */
export function prototypeKeys(value: unknown): string[][] {
  const found: string[][] = [];
  const queue: Place[] = [{ value }];
  for (let i = 0; i < queue.length; i++) {
    const place = queue[i] as Place;
    if (place.value === null || typeof place.value !== 'object') continue;
    for (const [key, child] of Object.entries(place.value)) {
      const at = { value: child, key, parent: place };
      if (key === '__proto__' || (key === 'prototype' && place.key === 'constructor')) found.push(keysTo(at));
      else queue.push(at);
    }
  }
  return found;
}
