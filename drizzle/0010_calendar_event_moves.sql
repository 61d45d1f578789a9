ALTER TABLE "calendar_events" ADD COLUMN "movedFromEventId" text;--> statement-breakpoint
ALTER TABLE "calendar_events" ADD COLUMN "movedFromStart" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "calendar_events" ADD COLUMN "movedByTaskId" text;--> statement-breakpoint
ALTER TABLE "calendar_events" ADD COLUMN "previousStartsAt" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "calendar_events" ADD COLUMN "previousEndsAt" timestamp (3) with time zone;