/**
 * Run by ca-trust.test.ts in a fresh node process started WITHOUT NODE_EXTRA_CA_CERTS, the way
 * the Pulumi engine may start a provider host. Connects with settings from the environment, makes
 * one Graph call, one $batch and one Exchange cmdlet, and prints one JSON line with the outcome.
 */
import { connect, loadSettings } from "../../../../dynamic-providers/connection";

async function main(): Promise<void> {
    const tenant = connect(loadSettings());
    const users = await tenant.pageAll<{ id: string }>("/users?$select=id&$top=5");
    const [batched] = await tenant.batcher.run([{ method: "GET", url: "/users?$top=1" }]);
    const domains = await tenant.exchange.invoke("Get-AcceptedDomain");
    process.stdout.write(
        JSON.stringify({
            nodeExtraCaCerts: process.env.NODE_EXTRA_CA_CERTS ?? null,
            users: users.length,
            batchStatus: batched.status,
            domains: domains.value.length,
        }) + "\n",
    );
}

main().catch((err: Error) => {
    process.stdout.write(JSON.stringify({ error: err.message }) + "\n");
    process.exit(1);
});
