CREATE TYPE "public"."ChatMessagePriority" AS ENUM('LOW', 'NORMAL', 'HIGH', 'URGENT');--> statement-breakpoint
CREATE TABLE "chat_escalations" (
	"messageId" text PRIMARY KEY NOT NULL,
	"deliveryId" text NOT NULL,
	"status" text DEFAULT 'PENDING' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"lastError" text,
	"createdAt" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"deliveredAt" timestamp (3) with time zone,
	CONSTRAINT "chat_escalations_deliveryId_unique" UNIQUE("deliveryId")
);
--> statement-breakpoint
ALTER TABLE "chat_messages" ADD COLUMN "priority" "ChatMessagePriority" DEFAULT 'NORMAL' NOT NULL;--> statement-breakpoint
ALTER TABLE "chat_escalations" ADD CONSTRAINT "chat_escalations_messageId_chat_messages_id_fk" FOREIGN KEY ("messageId") REFERENCES "public"."chat_messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "chat_messages_type_createdAt_idx" ON "chat_messages" USING btree ("type","createdAt");