/**
 * Label and field selectors with the grammar of k8s.io/apimachinery: `a=b`, `a==b`, `a!=b`,
 * `a in (x, y)`, `a notin (x)`, `a`, `!a`, `a>1`, `a<1`, comma separated, whitespace allowed.
 */

export type Labels = Readonly<Record<string, string>>;

type Requirement =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: ReadonlySet<string> }
  | { key: string; op: 'exists' | 'notexists' }
  | { key: string; op: 'gt' | 'lt'; value: number };

export class SelectorParseError extends Error {}

export interface Selector {
  readonly empty: boolean;
  matches(values: Labels): boolean;
  /** The value a requirement pins `key` to (`key=value`), used to route watches cheaply. */
  exactValue(key: string): string | undefined;
}

const EVERYTHING: Selector = { empty: true, matches: () => true, exactValue: () => undefined };

class RequirementSelector implements Selector {
  readonly empty: boolean;
  constructor(private readonly reqs: readonly Requirement[]) {
    this.empty = reqs.length === 0;
  }
  matches(values: Labels): boolean {
    for (const r of this.reqs) {
      const has = Object.prototype.hasOwnProperty.call(values, r.key);
      const v = has ? values[r.key] : undefined;
      switch (r.op) {
        case 'eq':
          if (v !== r.value) return false;
          break;
        case 'neq':
          if (v === r.value) return false;
          break;
        case 'in':
          if (v === undefined || !r.values.has(v)) return false;
          break;
        case 'notin':
          if (v !== undefined && r.values.has(v)) return false;
          break;
        case 'exists':
          if (!has) return false;
          break;
        case 'notexists':
          if (has) return false;
          break;
        case 'gt':
        case 'lt': {
          if (v === undefined) return false;
          const n = Number(v);
          if (!Number.isInteger(n)) return false;
          if (r.op === 'gt' ? !(n > r.value) : !(n < r.value)) return false;
          break;
        }
      }
    }
    return true;
  }
  exactValue(key: string): string | undefined {
    for (const r of this.reqs) if (r.key === key && r.op === 'eq') return r.value;
    return undefined;
  }
}

// Label keys: optional DNS-subdomain prefix and a name of at most 63 characters.
const NAME_RE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const PREFIX_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function validateLabelKey(key: string): string | undefined {
  const slash = key.indexOf('/');
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (slash >= 0) {
    const prefix = key.slice(0, slash);
    if (prefix.length === 0 || prefix.length > 253 || !PREFIX_RE.test(prefix)) {
      return `prefix part must be a lowercase RFC 1123 subdomain (got "${prefix}")`;
    }
  }
  if (name.length === 0 || name.length > 63 || !NAME_RE.test(name)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, at most 63 characters";
  }
  return undefined;
}

export function validateLabelValue(value: string): string | undefined {
  // validation.IsValidLabelValue's two messages, the length first.
  if (value.length > 63) return 'must be no more than 63 characters';
  if (!VALUE_RE.test(value)) {
    return "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
  }
  return undefined;
}

type Token = { kind: 'id'; text: string } | { kind: 'op'; text: string };

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const two = input.slice(i, i + 2);
    if (two === '==' || two === '!=') {
      tokens.push({ kind: 'op', text: two });
      i += 2;
      continue;
    }
    if ('=!(),<>'.includes(c)) {
      tokens.push({ kind: 'op', text: c });
      i++;
      continue;
    }
    let j = i;
    while (j < input.length && !' \t\n\r=!(),<>'.includes(input[j]!)) j++;
    tokens.push({ kind: 'id', text: input.slice(i, j) });
    i = j;
  }
  return tokens;
}

/** Parses a label selector; throws SelectorParseError with the apiserver's wording. */
export function parseLabelSelector(input: string | undefined | null): Selector {
  if (input === undefined || input === null || input.trim() === '') return EVERYTHING;
  const toks = tokenize(input);
  const reqs: Requirement[] = [];
  let p = 0;
  const fail = (msg: string): never => {
    throw new SelectorParseError(`unable to parse requirement: ${msg}`);
  };
  const peek = (): Token | undefined => toks[p];
  const identifier = (what: string): string => {
    const t = toks[p];
    if (!t || t.kind !== 'id') return fail(`found '${t?.text ?? ''}', expected: ${what}`);
    p++;
    return t.text;
  };
  const checkKey = (key: string): void => {
    const err = validateLabelKey(key);
    if (err) fail(`invalid label key "${key}": ${err}`);
  };
  const checkValue = (value: string): void => {
    const err = validateLabelValue(value);
    if (err) fail(`invalid label value: "${value}": ${err}`);
  };
  for (;;) {
    const t = peek();
    if (!t) fail("found '', expected: identifier");
    if (t!.kind === 'op' && t!.text === '!') {
      p++;
      const key = identifier('identifier');
      checkKey(key);
      reqs.push({ key, op: 'notexists' });
    } else {
      const key = identifier('identifier');
      checkKey(key);
      const op = peek();
      if (!op || (op.kind === 'op' && op.text === ',')) {
        reqs.push({ key, op: 'exists' });
      } else if (op.kind === 'op' && (op.text === '=' || op.text === '==' || op.text === '!=')) {
        p++;
        const next = peek();
        let value = '';
        if (next && next.kind === 'id') {
          value = next.text;
          p++;
        }
        checkValue(value);
        reqs.push({ key, op: op.text === '!=' ? 'neq' : 'eq', value });
      } else if (op.kind === 'op' && (op.text === '<' || op.text === '>')) {
        p++;
        const raw = identifier('integer value');
        const n = Number(raw);
        if (!Number.isInteger(n)) fail(`for 'Gt', 'Lt' operators, the value must be an integer`);
        reqs.push({ key, op: op.text === '>' ? 'gt' : 'lt', value: n });
      } else if (op.kind === 'id' && (op.text === 'in' || op.text === 'notin')) {
        p++;
        const open = peek();
        if (!open || open.text !== '(') fail(`found '${open?.text ?? ''}', expected: '('`);
        p++;
        const values = new Set<string>();
        for (;;) {
          const v = peek();
          if (!v) fail("found '', expected: ')'");
          if (v!.kind === 'id') {
            checkValue(v!.text);
            values.add(v!.text);
            p++;
          } else if (v!.text === ',') {
            values.add('');
            p++;
            continue;
          } else if (v!.text === ')') {
            break;
          } else {
            fail(`found '${v!.text}', expected: ',', ')' or identifier`);
          }
          const sep = peek();
          if (sep && sep.text === ',') {
            p++;
            continue;
          }
          if (sep && sep.text === ')') break;
          fail(`found '${sep?.text ?? ''}', expected: ',' or ')'`);
        }
        p++; // ')'
        if (values.size === 0 && op.text === 'in') fail("for 'in', 'notin' operators, values set can't be empty");
        reqs.push({ key, op: op.text === 'in' ? 'in' : 'notin', values });
      } else {
        fail(`found '${op.text}', expected: in, notin, =, ==, !=, gt, lt`);
      }
    }
    const sep = peek();
    if (!sep) break;
    if (sep.kind === 'op' && sep.text === ',') {
      p++;
      continue;
    }
    fail(`found '${sep.text}', expected: ',' or 'end of string'`);
  }
  return new RequirementSelector(reqs);
}

/**
 * Parses a field selector (`a=b,c!=d`, with `\` escaping `,`, `=`, `!` and `\`). Only the
 * fields in `supported` may be used, as the real apiserver checks per resource and version;
 * `alias` maps a version's field label to the stored field it selects on.
 */
export function parseFieldSelector(
  input: string | undefined | null,
  supported: ReadonlySet<string>,
  alias: Readonly<Record<string, string>> = {},
): Selector {
  if (input === undefined || input === null || input.trim() === '') return EVERYTHING;
  const reqs: Requirement[] = [];
  for (const term of splitUnescaped(input, ',')) {
    if (term.trim() === '') continue;
    const m = findOperator(term);
    if (!m) throw new SelectorParseError(`invalid selector: '${input}'; can't understand '${term}'`);
    const key = term.slice(0, m.index).trim();
    const value = unescape(term.slice(m.index + m.op.length));
    if (!supported.has(key)) {
      throw new SelectorParseError(`field label not supported: ${key}`);
    }
    reqs.push({ key: alias[key] ?? key, op: m.op === '!=' ? 'neq' : 'eq', value });
  }
  return new RequirementSelector(reqs);
}

function splitUnescaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[i + 1];
      i++;
    } else if (c === sep) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function findOperator(term: string): { index: number; op: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    const c = term[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '!' && term[i + 1] === '=') return { index: i, op: '!=' };
    if (c === '=' && term[i + 1] === '=') return { index: i, op: '==' };
    if (c === '=') return { index: i, op: '=' };
  }
  return undefined;
}

function unescape(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}
