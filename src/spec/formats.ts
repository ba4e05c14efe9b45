/** The string formats of workload fields, as JSON Schema fragments (one definition each). */

/** A duration: 800ms, 5s, 2m, 1h30m. */
export const DURATION = { type: 'string', pattern: '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$' } as const;

/** A Kubernetes resource quantity: 4, 3500m, 16Gi. */
export const QUANTITY = { type: 'string', pattern: '^[+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$' } as const;
