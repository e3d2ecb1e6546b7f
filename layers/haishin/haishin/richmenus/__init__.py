"""Rich menus: menus published to LINE, tabs, taps, and the rules that pick each friend's menu."""
