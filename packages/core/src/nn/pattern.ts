/**
 * Name patterns for selecting parameters and modules by their dotted names (`layer1.0.conv1.weight`).
 */

/** A glob string or a regular expression. */
export type NamePattern = string | RegExp;

const globCache = new Map<string, RegExp>();

/**
 * Compiles a glob: `*` matches within one dotted segment, `**` across segments, `?` one character.
 * @example
 * globToRegExp('layer*.conv1').test('layer2.conv1'); // true
 */
export function globToRegExp(glob: string): RegExp {
  let re = globCache.get(glob);
  if (re !== undefined) return re;
  let body = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      body += '.*';
      i++;
    } else if (c === '*') body += '[^.]*';
    else if (c === '?') body += '[^.]';
    else body += c.replace(/[\\^$+.()|{}[\]]/g, '\\$&');
  }
  re = new RegExp(`^${body}$`);
  globCache.set(glob, re);
  return re;
}

/**
 * Whether `name` or one of its dotted prefixes matches the pattern (so 'layer1' selects every
 * parameter under `layer1.`). A RegExp is tested against the full name only.
 * @example
 * matchesName('layer1', 'layer1.0.conv1.weight'); // true
 * matchesName(/^fc\./, 'fc.bias'); // true
 */
export function matchesName(pattern: NamePattern, name: string): boolean {
  if (pattern instanceof RegExp) {
    pattern.lastIndex = 0;
    return pattern.test(name);
  }
  const re = globToRegExp(pattern);
  if (re.test(name)) return true;
  for (let i = name.indexOf('.'); i >= 0; i = name.indexOf('.', i + 1)) {
    if (re.test(name.slice(0, i))) return true;
  }
  return false;
}
