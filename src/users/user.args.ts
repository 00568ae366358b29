import { ArgsType, Field, Int } from "type-graphql";
import { UserOrder } from "./user.type";

@ArgsType()
export class UserListArgs {
  @Field(() => Int, { nullable: true, defaultValue: 20 })
  limit!: number;

  @Field(() => Int, { nullable: true, defaultValue: 0 })
  offset!: number;

  @Field(() => String, { nullable: true })
  search?: string | null;

  @Field(() => Boolean, { nullable: true, description: "Only staff (true) or only non-staff (false) users." })
  isStaff?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: "Only active (true) or only deactivated (false) users." })
  isActive?: boolean | null;

  @Field(() => UserOrder, { nullable: true, defaultValue: UserOrder.ID_ASC })
  orderBy!: UserOrder;
}
