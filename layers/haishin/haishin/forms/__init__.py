"""Hosted forms (回答フォーム / 登録フォーム): definitions, signed LINE-bound links, validation and submission."""
