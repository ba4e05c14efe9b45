import { isRecord } from '../types.js';

/** A LabelSelector object (matchLabels + matchExpressions) as a selector string. */
export function labelSelectorString(sel: unknown): string {
  if (!isRecord(sel)) return '';
  const parts: string[] = [];
  if (isRecord(sel.matchLabels)) {
    for (const [k, v] of Object.entries(sel.matchLabels)) parts.push(`${k}=${String(v)}`);
  }
  if (Array.isArray(sel.matchExpressions)) {
    for (const e of sel.matchExpressions) {
      if (!isRecord(e)) continue;
      const values = Array.isArray(e.values) ? e.values.map(String) : [];
      switch (e.operator) {
        case 'In':
          parts.push(`${String(e.key)} in (${values.join(',')})`);
          break;
        case 'NotIn':
          parts.push(`${String(e.key)} notin (${values.join(',')})`);
          break;
        case 'Exists':
          parts.push(String(e.key));
          break;
        case 'DoesNotExist':
          parts.push(`!${String(e.key)}`);
          break;
      }
    }
  }
  return parts.join(',');
}
