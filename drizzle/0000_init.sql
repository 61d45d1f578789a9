CREATE TYPE "public"."ChatMessageType" AS ENUM('SCHEDULING_UPDATE', 'CONFIRMATION', 'CLARIFICATION', 'CANCELLATION', 'ERROR', 'INFO');--> statement-breakpoint
CREATE TABLE "chat_messages" (
	"id" text PRIMARY KEY NOT NULL,
	"userId" text NOT NULL,
	"orgId" text,
	"taskId" text,
	"type" "ChatMessageType" NOT NULL,
	"content" text NOT NULL,
	"data" jsonb,
	"read" boolean DEFAULT false NOT NULL,
	"createdAt" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"readAt" timestamp (3) with time zone,
	"idempotencyKey" text,
	"position" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "chat_user_cursors" (
	"userId" text PRIMARY KEY NOT NULL,
	"lastPosition" bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX "chat_messages_userId_createdAt_idx" ON "chat_messages" USING btree ("userId","createdAt");--> statement-breakpoint
CREATE INDEX "chat_messages_taskId_idx" ON "chat_messages" USING btree ("taskId");--> statement-breakpoint
CREATE INDEX "chat_messages_read_idx" ON "chat_messages" USING btree ("read");--> statement-breakpoint
CREATE UNIQUE INDEX "chat_messages_userId_idempotencyKey_key" ON "chat_messages" USING btree ("userId","idempotencyKey");--> statement-breakpoint
CREATE UNIQUE INDEX "chat_messages_userId_position_key" ON "chat_messages" USING btree ("userId","position");--> statement-breakpoint
CREATE INDEX "chat_messages_userId_unread_idx" ON "chat_messages" USING btree ("userId","createdAt","id") WHERE "chat_messages"."read" = false;