/**
 * Every Graph route the local tenant serves, in matching order: the first matching pattern
 * wins. A path no pattern matches is a 404, whatever the method.
 */
import type { GraphRoute } from "../contracts";
import { routes as auditLogs } from "./audit-logs";
import { routes as authenticationMethods } from "./authentication-methods";
import { routes as conditionalAccess } from "./conditional-access";
import { routes as directory } from "./directory";
import { routes as grants } from "./grants";
import { routes as mail } from "./mail";
import { routes as permissionClassifications } from "./permission-classifications";
import { routes as policies } from "./policies";
import { routes as servicePrincipals } from "./service-principals";
import { routes as users } from "./users";

export const allRoutes: GraphRoute[] = [
    ...users,
    ...mail,
    ...authenticationMethods,
    ...grants,
    ...servicePrincipals,
    ...permissionClassifications,
    ...policies,
    ...conditionalAccess,
    ...auditLogs,
    ...directory,
];
