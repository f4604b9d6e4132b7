/**
 * Typed errors: a method declares the error codes it may throw, with a schema for each
 * code's data, and the caller's compiler knows them: isRpcError(err, remote.method, CODE)
 * narrows `err.data` to that schema's type. The server checks what it throws against the
 * declaration, and introspection lists the codes.
 *
 * Run: node --import tsx examples/typed-errors.ts
 */
import { z } from "zod";
import { close, connect, describeMethod, isRpcError, listMethods, RpcError, serve } from "../src/index.js";

let balance = 70;

const api = {
  withdraw: describeMethod(
    (amount: number): number => {
      if (amount > balance) throw new RpcError("INSUFFICIENT_FUNDS", `cannot withdraw ${amount}`, { balance, needed: amount });
      return (balance -= amount);
    },
    {
      description: "Takes amount out of the balance",
      params: [{ name: "amount" }],
      errors: { INSUFFICIENT_FUNDS: { description: "amount exceeds the balance", data: z.object({ balance: z.number(), needed: z.number() }) } },
    },
  ),
};

const server = await serve(api, { listen: "tcp://127.0.0.1:0" });
const remote = await connect<typeof api>(server.addresses[0]!);

try {
  await remote.withdraw(500);
} catch (err) {
  // err.data is { balance: number; needed: number } here, checked by the compiler.
  if (!isRpcError(err, remote.withdraw, "INSUFFICIENT_FUNDS")) throw err;
  console.log(`withdraw 500 -> ${err.code}: balance ${err.data.balance}, needed ${err.data.needed}`);
}
const [withdraw] = await listMethods(remote);
console.log(`declared: ${withdraw!.errors!.map((e) => `${e.code} (${e.description})`).join(", ")}`);

await close(remote);
await server.close();
