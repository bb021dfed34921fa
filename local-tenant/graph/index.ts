/**
 * Placeholder written by the local-tenant core so the server compiles before the Graph route
 * modules land. The graph-routes engineer replaces this file with the real aggregation of
 * local-tenant/graph/*.ts.
 */
import type { GraphRoute } from "../contracts";

export const allRoutes: GraphRoute[] = [];
