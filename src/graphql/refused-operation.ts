import type { ApolloServerPlugin } from "@apollo/server";

/**
 * A field refused with a 4xx status (TOO_MANY_REQUESTS from a throttled
 * login or sign-up) leaves `data: null`; the contract's refused operation has
 * `errors` and no `data` entry, as when it is refused before running.
 */
export const refusedOperationPlugin: ApolloServerPlugin<never> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        const status = response.http.status ?? 200;
        if (status >= 400 && response.body.kind === "single" && response.body.singleResult.data === null) {
          delete response.body.singleResult.data;
        }
      },
    };
  },
};
