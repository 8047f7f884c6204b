import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.TimeZone;
import org.quartz.CronExpression;

/**
 * Quartz's answers for the differential cron test: reads lines "expression TAB zone TAB start-ms TAB count" and
 * prints, per line, "invalid" or the next `count` fire times after the start (epoch ms, comma-separated; "end" when
 * the schedule ends first).
 */
public final class QuartzOracle {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, false, "UTF-8");
        String line;
        while ((line = in.readLine()) != null) {
            String[] parts = line.split("\t");
            CronExpression cron;
            try {
                cron = new CronExpression(parts[0]);
            } catch (Exception e) {
                out.println("invalid");
                continue;
            }
            cron.setTimeZone(TimeZone.getTimeZone(parts[1]));
            long after = Long.parseLong(parts[2]);
            int count = Integer.parseInt(parts[3]);
            StringBuilder times = new StringBuilder();
            for (int i = 0; i < count; i++) {
                Date next;
                try {
                    next = cron.getNextValidTimeAfter(new Date(after));
                } catch (Exception e) {
                    next = null;
                }
                if (i > 0) {
                    times.append(',');
                }
                if (next == null) {
                    times.append("end");
                    break;
                }
                times.append(next.getTime());
                after = next.getTime();
            }
            out.println(times);
        }
        out.flush();
    }
}
