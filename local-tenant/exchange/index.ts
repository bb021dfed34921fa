/**
 * Placeholder written by the local-tenant core so the server compiles before the Exchange
 * cmdlet modules land. The exchange engineer replaces this file with the real aggregation of
 * local-tenant/exchange/*.ts.
 */
import type { Cmdlet } from "../contracts";

export const allCmdlets: Cmdlet[] = [];
