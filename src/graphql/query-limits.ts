import type { ApolloServerPlugin } from "@apollo/server";
import { ApolloArmor } from "@escape.tech/graphql-armor";
import type { GraphQLArmorRejectCallback } from "@escape.tech/graphql-armor-types";
import type { GraphQLFormattedError, ValidationRule } from "graphql";
import type { Config } from "../config/config";
import { LimitError } from "../shared/errors";

// Limits on the shape of a GraphQL document, from the MAX_* settings.
//
// Depth, aliases, directives and cost are graphql-armor's validation rules:
// a document over a limit is refused before it runs, HTTP 400, code
// GRAPHQL_VALIDATION_FAILED, with a message naming the limit and the limit's
// name in `extensions.limit`. Each rule reports through its own onReject
// callback, so an error is classified by the rule that raised it, never by
// its text. Introspection (`__schema`) is exempt from depth and cost, so
// GraphiQL's schema query passes.
//
// Tokens are counted by graphql-js's own parser (Apollo's parseOptions), not
// by graphql-armor's maxTokens plugin: that plugin runs the lexer in a
// parsingDidStart hook, where any throw (a syntax error, the limit itself)
// becomes a 500. graphql-js reports its limit only as a syntax error's text,
// so that one refusal is recognised by its (fixed) wording. Each refusal is
// a LimitError; its status and body are decided in error-shape.ts.

const TOKEN_LIMIT = /^Syntax Error: Document contains more tha[nt] (\d+) tokens\. Parsing aborted\.$/;
// graphql-armor prefixes every refusal with this, although the document parsed.
const ARMOR_PREFIX = "Syntax Error: ";

export type LimitName = "depth" | "aliases" | "directives" | "cost" | "tokens";

export interface GraphqlLimits {
  plugins: ApolloServerPlugin<never>[];
  validationRules: ValidationRule[];
  parseOptions: { maxTokens: number };
}

/** The onReject of one rule: reports the refusal as ours, tagged with the rule's name. */
function reject(limit: LimitName): { onReject: GraphQLArmorRejectCallback[]; propagateOnRejection: false } {
  return {
    propagateOnRejection: false,
    onReject: [
      (context, error) => {
        const message = error.message.startsWith(ARMOR_PREFIX)
          ? error.message.slice(ARMOR_PREFIX.length)
          : error.message;
        context?.reportError(new LimitError(limit satisfies LimitName, message));
      },
    ],
  };
}

export function graphqlLimits(config: Config): GraphqlLimits {
  const armor = new ApolloArmor({
    maxDepth: { n: config.MAX_DEPTH, ignoreIntrospection: true, ...reject("depth") },
    maxAliases: { n: config.MAX_ALIASES, ...reject("aliases") },
    maxDirectives: { n: config.MAX_DIRECTIVES, ...reject("directives") },
    costLimit: { maxCost: config.MAX_COST, ignoreIntrospection: true, ...reject("cost") },
    maxTokens: { enabled: false },
    // Apollo's hideSchemaDetailsFromClientErrors already drops "Did you mean"
    // in production; armor masks any that another path would let through.
    blockFieldSuggestion: { enabled: config.production },
  }).protect();
  return {
    plugins: armor.plugins,
    validationRules: armor.validationRules,
    parseOptions: { maxTokens: config.MAX_TOKENS },
  };
}

/** The parser's token limit, as the LimitError it is; null for any other error. */
export function tokenLimitError(formatted: GraphQLFormattedError): LimitError | null {
  const tokens = formatted.extensions?.code === "GRAPHQL_PARSE_FAILED" ? TOKEN_LIMIT.exec(formatted.message) : null;
  return tokens ? new LimitError("tokens" satisfies LimitName, `Token limit of ${tokens[1]} exceeded.`) : null;
}
