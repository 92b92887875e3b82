import ArgumentParser
import Reports

/// `--plot-format png|svg` on the commands that write plots.
extension PlotFormat: ExpressibleByArgument {}
