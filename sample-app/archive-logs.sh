#!/bin/sh
# The sample's script job: archives one kind of log per sharding item. Like every script job, it gets the sharding
# context as JSON in its last argument ({"jobName":...,"shardingItem":0,"shardingParameter":"app",...}).
for context; do :; done
echo "archiving logs: $context"
