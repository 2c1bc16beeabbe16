Feature: Statutory time limits missed or met late (不作为 and 慢作为)
  Each statutory step has a time limit (《信访工作条例》 arts. 22, 23, 34–36, 40). A step never
  done by its deadline is 不作为; a step done after it is 慢作为, with the days late. The finding
  names the unit, handler and leader who held the case when the deadline passed. A deadline that
  ends on a rest day rolls to the next working day; a deadline in a year whose holidays are not
  yet published is only provisional and accuses nobody until it is recomputed.

  Background:
    Given the organisation of 哈密市 and 伊州区 as on file
    And 伊州区信访局 registered case A on 2026-03-02

  Rule: The petition bureau triages within 15 days of receipt (arts. 22, 43)

    Scenario: The bureau has not triaged the matter after 18 days
      When findings on case A are evaluated as of 2026-03-20
      Then a 不作为 finding "信访部门收到信访事项后15日内未转送、交办或办理" names 伊州区信访局
      And it counts 3 days
      And it names the leader 周强
      And it cites 第四十三条

    Scenario: The bureau transfers the matter two days late
      Given 伊州区信访局 transferred case A to 伊州区住房和城乡建设局 on 2026-03-19
      When findings on case A are evaluated as of 2026-03-20
      Then a 慢作为 finding "信访部门超过15日才转送、交办或办理" names 伊州区信访局
      And it counts 2 days

  Rule: The receiving unit tells the petitioner in writing and decides on acceptance (arts. 23, 44)

    Background:
      Given 伊州区信访局 transferred case A to 伊州区住房和城乡建设局 on 2026-03-03
      And 伊州区住房和城乡建设局 signed for case A on 2026-03-04

    Scenario: Nobody tells the petitioner within 15 days
      When findings on case A are evaluated as of 2026-03-25
      Then a 不作为 finding "收到信访事项后15日内未书面告知信访人" names 伊州区住房和城乡建设局
      And it counts 6 days
      And it cites 第四十四条第（三）项

    Scenario: The petitioner is told three days late
      Given 伊州区住房和城乡建设局 accepted case A on 2026-03-05
      And 伊州区住房和城乡建设局 told the petitioner of case A in writing on 2026-03-22 (受理告知)
      When findings on case A are evaluated as of 2026-03-25
      Then a 慢作为 finding "超过15日才书面告知信访人" names 伊州区住房和城乡建设局
      And it counts 3 days

    Scenario: Acceptance is never decided
      When findings on case A are evaluated as of 2026-03-25
      Then a 不作为 finding "收到信访事项后逾期未决定是否受理" names 伊州区住房和城乡建设局
      And it counts 6 days

    Scenario: Acceptance is decided two days late
      Given 伊州区住房和城乡建设局 accepted case A on 2026-03-21
      When findings on case A are evaluated as of 2026-03-25
      Then a 慢作为 finding "超过告知期限才决定是否受理" names 伊州区住房和城乡建设局
      And it counts 2 days

  Rule: A grievance on the petition track is concluded within 60 days of acceptance (arts. 34, 45)

    Background:
      Given 伊州区信访局 transferred case A to 伊州区住房和城乡建设局 on 2026-03-03
      And 伊州区住房和城乡建设局 signed for case A on 2026-03-04
      And 伊州区住房和城乡建设局 accepted case A on 2026-03-05
      And 伊州区住房和城乡建设局 told the petitioner of case A in writing on 2026-03-05 (受理告知)
      And 伊州区住房和城乡建设局 made 李娜 the handler of case A on 2026-03-06

    Scenario: The 60 days end on a Labour Day holiday, so the deadline moves to 6 May
      When findings on case A are evaluated as of 2026-05-06 23:00
      Then there is no "受理后60日（含批准延期）内未办结" finding

    Scenario: Still no reply on 8 May
      When findings on case A are evaluated as of 2026-05-08
      Then a 不作为 finding "受理后60日（含批准延期）内未办结" names 伊州区住房和城乡建设局
      And it counts 2 days
      And it names the handler 李娜
      And it names the leader 陈静

    Scenario: The reply comes one day after the holiday-extended deadline
      Given 伊州区住房和城乡建设局 issued its reply on case A on 2026-05-07: 支持
      When findings on case A are evaluated as of 2026-05-08
      Then a 慢作为 finding "超过办理期限才出具处理意见书" names 伊州区住房和城乡建设局
      And it counts 1 days

    Scenario: The handler changed mid-case; the finding names the one who held it at the breach
      Given 伊州区住房和城乡建设局 made 孙丽 the handler of case A on 2026-04-10
      When findings on case A are evaluated as of 2026-05-08
      Then a 不作为 finding "受理后60日（含批准延期）内未办结" names 伊州区住房和城乡建设局
      And it names the handler 孙丽

    Scenario: The bureau lets the overdue case pass without supervising it
      When findings on case A are evaluated as of 2026-05-20
      Then a 不作为 finding "信访部门对逾期事项未及时督办" names 伊州区信访局
      And it cites 第四十三条

    Scenario: Supervision ignored past its due date
      Given 伊州区信访局 supervised case A by 书面督办 on 2026-03-20, answer due 2026-03-27
      When findings on case A are evaluated as of 2026-03-30
      Then a 不作为 finding "被督办单位逾期未反馈督办" names 伊州区住房和城乡建设局
      And it counts 3 days
      And it cites 第四十五条第（一）项

    Scenario: Supervision answered late
      Given 伊州区信访局 supervised case A by 书面督办 on 2026-03-20, answer due 2026-03-27
      And 伊州区住房和城乡建设局 answered supervision no. 1 on case A on 2026-03-29
      When findings on case A are evaluated as of 2026-03-30
      Then a 慢作为 finding "被督办单位超期反馈督办" names 伊州区住房和城乡建设局
      And it counts 2 days

  Rule: An assigned matter's result is reported by the date the bureau set (art. 22(三))

    Background:
      Given 伊州区信访局 assigned case A to 伊州区住房和城乡建设局 on 2026-03-03, due 2026-03-31
      And 伊州区住房和城乡建设局 signed for case A on 2026-03-04
      And 伊州区住房和城乡建设局 accepted case A on 2026-03-05
      And 伊州区住房和城乡建设局 told the petitioner of case A in writing on 2026-03-05 (受理告知)

    Scenario: No report by the due date
      When findings on case A are evaluated as of 2026-04-05
      Then a 不作为 finding "交办事项逾期未报送办理结果" names 伊州区住房和城乡建设局
      And it counts 5 days

    Scenario: The report comes a week late
      Given 伊州区住房和城乡建设局 reported the result of case A on 2026-04-07
      When findings on case A are evaluated as of 2026-04-08
      Then a 慢作为 finding "交办事项超期报送办理结果" names 伊州区住房和城乡建设局
      And it counts 7 days

  Rule: Review and re-review opinions come within 30 days of the request (arts. 35, 36)

    Background:
      Given 伊州区信访局 transferred case A to 伊州区住房和城乡建设局 on 2026-03-03
      And 伊州区住房和城乡建设局 signed for case A on 2026-03-04
      And 伊州区住房和城乡建设局 accepted case A on 2026-03-05
      And 伊州区住房和城乡建设局 told the petitioner of case A in writing on 2026-03-05 (受理告知)
      And 伊州区住房和城乡建设局 issued its reply on case A on 2026-04-01: 不予支持
      And 赵磊 approved the reply of 伊州区住房和城乡建设局 on case A on 2026-04-01
      And 伊州区住房和城乡建设局 served the reply on case A on 2026-04-02 by 直接送达
      And 伊州区人民政府 received a request for 复查 of case A on 2026-04-20
      And 伊州区人民政府 took up the 复查 of case A on 2026-04-21

    Scenario: No review opinion 30 days after the request
      When findings on case A are evaluated as of 2026-05-25
      Then a 不作为 finding "复查机关收到复查请求后30日内未出具复查意见" names 伊州区人民政府
      And it counts 5 days
      And it names the leader 马辉

    Scenario: The review opinion comes six days late
      Given 伊州区人民政府 issued its 复查 opinion on case A on 2026-05-26: 维持
      When findings on case A are evaluated as of 2026-05-27
      Then a 慢作为 finding "复查意见超期出具" names 伊州区人民政府
      And it counts 6 days

    Scenario: No re-review opinion 30 days after the request
      Given 伊州区人民政府 issued its 复查 opinion on case A on 2026-05-10: 维持
      And 伊州区人民政府 served its 复查 opinion on case A on 2026-05-11
      And 哈密市人民政府 received a request for 复核 of case A on 2026-06-01
      And 哈密市人民政府 took up the 复核 of case A on 2026-06-02
      When findings on case A are evaluated as of 2026-07-03
      Then a 不作为 finding "复核机关收到复核请求后30日（听证时间除外）内未出具复核意见" names 哈密市人民政府
      And it counts 2 days

    Scenario: A re-review opinion after a hearing: the hearing days do not count, one day late
      Given 伊州区人民政府 issued its 复查 opinion on case A on 2026-05-10: 维持
      And 伊州区人民政府 served its 复查 opinion on case A on 2026-05-11
      And 哈密市人民政府 received a request for 复核 of case A on 2026-06-01
      And 哈密市人民政府 took up the 复核 of case A on 2026-06-02
      And 哈密市人民政府 opened a hearing (听证) on case A on 2026-06-10
      And 哈密市人民政府 closed the hearing on case A on 2026-06-14
      And 哈密市人民政府 issued its 复核 opinion on case A on 2026-07-07: 维持
      When findings on case A are evaluated as of 2026-07-08
      Then a 慢作为 finding "复核意见超期出具" names 哈密市人民政府
      And it counts 1 days

  Rule: A deadline in a year whose holidays are not yet published accuses nobody

    Scenario: The 60 days run into 2027
      Given today is 2027-03-01
      And 伊州区信访局 registered case P on 2026-12-01
      And 伊州区信访局 transferred case P to 伊州区住房和城乡建设局 on 2026-12-02
      And 伊州区住房和城乡建设局 signed for case P on 2026-12-03
      And 伊州区住房和城乡建设局 accepted case P on 2026-12-04
      And 伊州区住房和城乡建设局 told the petitioner of case P in writing on 2026-12-04 (受理告知)
      When findings on case P are evaluated as of 2027-02-20
      Then there is no "受理后60日（含批准延期）内未办结" finding
      And the "受理后60日（含批准延期）内未办结" deadline of 伊州区住房和城乡建设局 is only provisional, ending 2027-02-02
