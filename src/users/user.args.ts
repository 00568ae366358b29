import { ArgsType, Field } from "type-graphql";
import { PaginationArgs } from "../graphql/pagination";
import { UserOrder } from "./user.type";

@ArgsType()
export class UserListArgs extends PaginationArgs {
  @Field(() => Boolean, { nullable: true, description: "Only staff (true) or only non-staff (false) users." })
  isStaff?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: "Only active (true) or only inactive (false) users." })
  isActive?: boolean | null;

  @Field(() => UserOrder, { nullable: true, defaultValue: UserOrder.ID_ASC })
  orderBy?: UserOrder | null;
}
