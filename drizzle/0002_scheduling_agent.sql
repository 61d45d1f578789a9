CREATE TYPE "public"."CalendarEventStatus" AS ENUM('CONFIRMED', 'CANCELLED');--> statement-breakpoint
CREATE TYPE "public"."SchedulingAgentTaskStatus" AS ENUM('QUEUED', 'PROCESSING', 'WAITING_FOR_USER', 'COMPLETED', 'FAILED', 'CANCELLED');--> statement-breakpoint
CREATE TABLE "calendar_events" (
	"id" text PRIMARY KEY NOT NULL,
	"userId" text NOT NULL,
	"title" text NOT NULL,
	"startsAt" timestamp (3) with time zone NOT NULL,
	"endsAt" timestamp (3) with time zone NOT NULL,
	"attendees" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"status" "CalendarEventStatus" DEFAULT 'CONFIRMED' NOT NULL,
	"taskId" text,
	"createdAt" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updatedAt" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "calendar_events_taskId_unique" UNIQUE("taskId")
);
--> statement-breakpoint
CREATE TABLE "scheduling_agent_tasks" (
	"id" text PRIMARY KEY NOT NULL,
	"userId" text NOT NULL,
	"orgId" text,
	"request" text NOT NULL,
	"channel" text DEFAULT 'chat' NOT NULL,
	"status" "SchedulingAgentTaskStatus" DEFAULT 'QUEUED' NOT NULL,
	"timeZone" text NOT NULL,
	"answers" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"intent" jsonb,
	"result" jsonb,
	"error" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"createdAt" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updatedAt" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "timeZone" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "workingHours" jsonb;--> statement-breakpoint
CREATE INDEX "calendar_events_userId_startsAt_idx" ON "calendar_events" USING btree ("userId","startsAt","endsAt");--> statement-breakpoint
CREATE INDEX "scheduling_agent_tasks_userId_createdAt_idx" ON "scheduling_agent_tasks" USING btree ("userId","createdAt");--> statement-breakpoint
CREATE INDEX "scheduling_agent_tasks_userId_waiting_idx" ON "scheduling_agent_tasks" USING btree ("userId","updatedAt") WHERE "scheduling_agent_tasks"."status" = 'WAITING_FOR_USER';