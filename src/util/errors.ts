/**
 * Bad input found below the command line (a damaged result folder, a workload): the
 * command exits 2 with the message as one paragraph, no stack trace.
 */
export class BadInputError extends Error {}
