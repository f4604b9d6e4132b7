// Compile-time checks of typed errors (describeMethod's `errors` and isRpcError), run by
// `npm run typecheck` (part of `npm test`). Each @ts-expect-error line must fail to compile.
import { z } from "zod";
import { describeMethod, isRpcError, type DeclaredError, type Remote, type TypedRpcError } from "../../src/index.js";

const withdraw = describeMethod((amount: number) => amount, {
  errors: {
    INSUFFICIENT_FUNDS: z.object({ balance: z.number(), needed: z.number() }),
    ACCOUNT_FROZEN: true,
    LIMIT_REACHED: { description: "the daily limit is reached", data: z.object({ limit: z.number() }) },
    CLOSED: "the account is closed",
  },
});
const api = { account: { withdraw, balance: () => 0 }, ping: describeMethod(() => "pong", { description: "answers pong" }) };
declare const remote: Remote<typeof api>;

export async function errorChecks(e: unknown): Promise<void> {
  const left: number = await remote.account.withdraw(5); // describing a method keeps its call signature
  const pong: string = await remote.ping();
  void [left, pong];

  if (isRpcError(e, remote.account.withdraw, "INSUFFICIENT_FUNDS")) {
    const balance: number = e.data.balance; // data narrowed to the schema's output
    const code: "INSUFFICIENT_FUNDS" = e.code;
    // @ts-expect-error the schema has no field "owner"
    void e.data.owner;
    void [balance, code];
  }
  if (isRpcError(e, remote.account.withdraw, "LIMIT_REACHED")) {
    const limit: number = e.data.limit; // { description, data } form
    void limit;
  }
  if (isRpcError(e, remote.account.withdraw, "ACCOUNT_FROZEN")) {
    const none: undefined = e.data; // `true`: no data
    void none;
  }
  if (isRpcError(e, remote.account.withdraw, "UNAVAILABLE")) {
    const code: "UNAVAILABLE" = e.code; // framework codes can be asked of any method
    void code;
  }
  if (isRpcError(e, "INSUFFICIENT_FUNDS")) {
    const code: "INSUFFICIENT_FUNDS" = e.code; // without the method: the code, data unknown
    // @ts-expect-error without the method, data is unknown
    void e.data.balance;
    void code;
  }
  if (isRpcError(e)) {
    const message: string = e.message;
    void message;
  }
  // @ts-expect-error withdraw declares no such code
  isRpcError(e, remote.account.withdraw, "NOT_DECLARED");
  // @ts-expect-error balance declares no errors at all
  isRpcError(e, remote.account.balance, "INSUFFICIENT_FUNDS");

  // Every declared error as one union, for a switch on the code.
  const err = e as DeclaredError<typeof remote.account.withdraw>;
  switch (err.code) {
    case "INSUFFICIENT_FUNDS": {
      const needed: number = err.data.needed;
      void needed;
      break;
    }
    case "CLOSED": {
      const none: undefined = err.data;
      void none;
      break;
    }
  }
  const typed: TypedRpcError<"X", { a: 1 }> | undefined = undefined;
  void typed;
}
